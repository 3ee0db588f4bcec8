// Verifies webhook deliveries with the Standard Webhooks reference library (npm
// `standardwebhooks`, installed with the browser tests' packages), independently of the
// portal's own signing code. Reads {"secrets": [...], "deliveries": [{"headers": {...},
// "body": "..."}]} on stdin; prints one {"ok": true|false, "error": "..."} per delivery, a
// delivery being ok when any of the secrets verifies it.
const { Webhook } = require('standardwebhooks');

let input = '';
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const { secrets, deliveries } = JSON.parse(input);
  const results = deliveries.map(({ headers, body }) => {
    let error = 'no secret given';
    for (const secret of secrets) {
      try {
        new Webhook(secret).verify(body, headers);
        return { ok: true };
      } catch (e) {
        error = String(e && e.message ? e.message : e);
      }
    }
    return { ok: false, error };
  });
  process.stdout.write(JSON.stringify(results));
});
