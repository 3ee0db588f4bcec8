//! Integration tests: the real server on a free port, over HTTP, against a fresh database.
//! `PORTAL_TEST_DATABASE_URL` picks PostgreSQL (an admin URL; each test gets its own
//! database); without it every test runs on a new SQLite file.

mod api_clients;
mod auth;
mod bad_input;
mod billing;
mod contract;
mod coverage;
mod customer_change;
mod customers;
mod delivery;
mod egress;
mod events;
mod kazoo;
mod lifecycle;
mod mail;
mod operator;
mod pages;
mod pbx_templates;
mod provisioning;
mod rest;
mod rest_resources;
mod search;
mod security;
mod support;
mod sweep;
mod sync;
mod users;
mod webhooks;
