//! Countries a customer can be in: ISO 3166-1 alpha-2 code, English name, principal IANA time
//! zone and the usual way numbers are written there.
//!
//! The table was generated from tzdata's `iso3166.tab` and `zone.tab` (the first zone listed for a
//! country, or its capital's/most populous zone where the first is not the obvious choice), with
//! a few names made plainer ("United Kingdom", "South Korea", ...). Number formats follow the
//! common CLDR conventions for each country's main language.

use NumberFormat::{ApostropheDot, CommaDot, DotComma, SpaceComma};

/// One country or territory from ISO 3166-1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Country {
    /// ISO 3166-1 alpha-2 code, upper case, e.g. `GB`.
    pub code: &'static str,
    /// Usual English name, e.g. `United Kingdom`.
    pub name: &'static str,
    /// Principal IANA time zone, e.g. `Europe/London`.
    pub time_zone: &'static str,
    /// How numbers are usually written there.
    pub number_format: NumberFormat,
}

/// Thousands separator and decimal mark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumberFormat {
    /// `1,234.56`
    CommaDot,
    /// `1.234,56`
    DotComma,
    /// `1 234,56`
    SpaceComma,
    /// `1'234.56`
    ApostropheDot,
}

impl NumberFormat {
    /// The number 1234.56 written this way, for showing in a picker.
    pub fn example(self) -> &'static str {
        match self {
            CommaDot => "1,234.56",
            DotComma => "1.234,56",
            SpaceComma => "1 234,56",
            ApostropheDot => "1'234.56",
        }
    }
}

const fn c(
    code: &'static str,
    name: &'static str,
    time_zone: &'static str,
    number_format: NumberFormat,
) -> Country {
    Country { code, name, time_zone, number_format }
}

/// Every ISO 3166-1 country, sorted by name (ignoring case and accents).
pub static COUNTRIES: &[Country] = &[
    c("AF", "Afghanistan", "Asia/Kabul", CommaDot),
    c("AX", "Åland Islands", "Europe/Mariehamn", SpaceComma),
    c("AL", "Albania", "Europe/Tirane", SpaceComma),
    c("DZ", "Algeria", "Africa/Algiers", DotComma),
    c("AS", "American Samoa", "Pacific/Pago_Pago", CommaDot),
    c("AD", "Andorra", "Europe/Andorra", DotComma),
    c("AO", "Angola", "Africa/Luanda", SpaceComma),
    c("AI", "Anguilla", "America/Anguilla", CommaDot),
    c("AQ", "Antarctica", "Antarctica/McMurdo", CommaDot),
    c("AG", "Antigua & Barbuda", "America/Antigua", CommaDot),
    c("AR", "Argentina", "America/Argentina/Buenos_Aires", DotComma),
    c("AM", "Armenia", "Asia/Yerevan", SpaceComma),
    c("AW", "Aruba", "America/Aruba", DotComma),
    c("AU", "Australia", "Australia/Sydney", CommaDot),
    c("AT", "Austria", "Europe/Vienna", SpaceComma),
    c("AZ", "Azerbaijan", "Asia/Baku", DotComma),
    c("BS", "Bahamas", "America/Nassau", CommaDot),
    c("BH", "Bahrain", "Asia/Bahrain", CommaDot),
    c("BD", "Bangladesh", "Asia/Dhaka", CommaDot),
    c("BB", "Barbados", "America/Barbados", CommaDot),
    c("BY", "Belarus", "Europe/Minsk", SpaceComma),
    c("BE", "Belgium", "Europe/Brussels", DotComma),
    c("BZ", "Belize", "America/Belize", CommaDot),
    c("BJ", "Benin", "Africa/Porto-Novo", SpaceComma),
    c("BM", "Bermuda", "Atlantic/Bermuda", CommaDot),
    c("BT", "Bhutan", "Asia/Thimphu", CommaDot),
    c("BO", "Bolivia", "America/La_Paz", DotComma),
    c("BA", "Bosnia & Herzegovina", "Europe/Sarajevo", DotComma),
    c("BW", "Botswana", "Africa/Gaborone", CommaDot),
    c("BV", "Bouvet Island", "Europe/Oslo", SpaceComma),
    c("BR", "Brazil", "America/Sao_Paulo", DotComma),
    c("IO", "British Indian Ocean Territory", "Indian/Chagos", CommaDot),
    c("BN", "Brunei", "Asia/Brunei", DotComma),
    c("BG", "Bulgaria", "Europe/Sofia", SpaceComma),
    c("BF", "Burkina Faso", "Africa/Ouagadougou", SpaceComma),
    c("BI", "Burundi", "Africa/Bujumbura", SpaceComma),
    c("KH", "Cambodia", "Asia/Phnom_Penh", DotComma),
    c("CM", "Cameroon", "Africa/Douala", SpaceComma),
    c("CA", "Canada", "America/Toronto", CommaDot),
    c("CV", "Cape Verde", "Atlantic/Cape_Verde", SpaceComma),
    c("BQ", "Caribbean Netherlands", "America/Kralendijk", DotComma),
    c("KY", "Cayman Islands", "America/Cayman", CommaDot),
    c("CF", "Central African Republic", "Africa/Bangui", SpaceComma),
    c("TD", "Chad", "Africa/Ndjamena", SpaceComma),
    c("CL", "Chile", "America/Santiago", DotComma),
    c("CN", "China", "Asia/Shanghai", CommaDot),
    c("CX", "Christmas Island", "Indian/Christmas", CommaDot),
    c("CC", "Cocos (Keeling) Islands", "Indian/Cocos", CommaDot),
    c("CO", "Colombia", "America/Bogota", DotComma),
    c("KM", "Comoros", "Indian/Comoro", SpaceComma),
    c("CD", "Congo (Democratic Republic)", "Africa/Kinshasa", SpaceComma),
    c("CG", "Congo (Republic)", "Africa/Brazzaville", SpaceComma),
    c("CK", "Cook Islands", "Pacific/Rarotonga", CommaDot),
    c("CR", "Costa Rica", "America/Costa_Rica", SpaceComma),
    c("CI", "Côte d'Ivoire", "Africa/Abidjan", SpaceComma),
    c("HR", "Croatia", "Europe/Zagreb", DotComma),
    c("CU", "Cuba", "America/Havana", CommaDot),
    c("CW", "Curaçao", "America/Curacao", DotComma),
    c("CY", "Cyprus", "Asia/Nicosia", DotComma),
    c("CZ", "Czech Republic", "Europe/Prague", SpaceComma),
    c("DK", "Denmark", "Europe/Copenhagen", DotComma),
    c("DJ", "Djibouti", "Africa/Djibouti", SpaceComma),
    c("DM", "Dominica", "America/Dominica", CommaDot),
    c("DO", "Dominican Republic", "America/Santo_Domingo", CommaDot),
    c("TL", "East Timor", "Asia/Dili", SpaceComma),
    c("EC", "Ecuador", "America/Guayaquil", DotComma),
    c("EG", "Egypt", "Africa/Cairo", CommaDot),
    c("SV", "El Salvador", "America/El_Salvador", CommaDot),
    c("GQ", "Equatorial Guinea", "Africa/Malabo", DotComma),
    c("ER", "Eritrea", "Africa/Asmara", CommaDot),
    c("EE", "Estonia", "Europe/Tallinn", SpaceComma),
    c("SZ", "Eswatini (Swaziland)", "Africa/Mbabane", CommaDot),
    c("ET", "Ethiopia", "Africa/Addis_Ababa", CommaDot),
    c("FK", "Falkland Islands", "Atlantic/Stanley", CommaDot),
    c("FO", "Faroe Islands", "Atlantic/Faroe", DotComma),
    c("FJ", "Fiji", "Pacific/Fiji", CommaDot),
    c("FI", "Finland", "Europe/Helsinki", SpaceComma),
    c("FR", "France", "Europe/Paris", SpaceComma),
    c("GF", "French Guiana", "America/Cayenne", SpaceComma),
    c("PF", "French Polynesia", "Pacific/Tahiti", SpaceComma),
    c("TF", "French Southern Territories", "Indian/Kerguelen", SpaceComma),
    c("GA", "Gabon", "Africa/Libreville", SpaceComma),
    c("GM", "Gambia", "Africa/Banjul", CommaDot),
    c("GE", "Georgia", "Asia/Tbilisi", SpaceComma),
    c("DE", "Germany", "Europe/Berlin", DotComma),
    c("GH", "Ghana", "Africa/Accra", CommaDot),
    c("GI", "Gibraltar", "Europe/Gibraltar", CommaDot),
    c("GR", "Greece", "Europe/Athens", DotComma),
    c("GL", "Greenland", "America/Nuuk", DotComma),
    c("GD", "Grenada", "America/Grenada", CommaDot),
    c("GP", "Guadeloupe", "America/Guadeloupe", SpaceComma),
    c("GU", "Guam", "Pacific/Guam", CommaDot),
    c("GT", "Guatemala", "America/Guatemala", CommaDot),
    c("GG", "Guernsey", "Europe/Guernsey", CommaDot),
    c("GN", "Guinea", "Africa/Conakry", SpaceComma),
    c("GW", "Guinea-Bissau", "Africa/Bissau", SpaceComma),
    c("GY", "Guyana", "America/Guyana", CommaDot),
    c("HT", "Haiti", "America/Port-au-Prince", SpaceComma),
    c("HM", "Heard Island & McDonald Islands", "Indian/Kerguelen", CommaDot),
    c("HN", "Honduras", "America/Tegucigalpa", CommaDot),
    c("HK", "Hong Kong", "Asia/Hong_Kong", CommaDot),
    c("HU", "Hungary", "Europe/Budapest", SpaceComma),
    c("IS", "Iceland", "Atlantic/Reykjavik", DotComma),
    c("IN", "India", "Asia/Kolkata", CommaDot),
    c("ID", "Indonesia", "Asia/Jakarta", DotComma),
    c("IR", "Iran", "Asia/Tehran", CommaDot),
    c("IQ", "Iraq", "Asia/Baghdad", CommaDot),
    c("IE", "Ireland", "Europe/Dublin", CommaDot),
    c("IM", "Isle of Man", "Europe/Isle_of_Man", CommaDot),
    c("IL", "Israel", "Asia/Jerusalem", CommaDot),
    c("IT", "Italy", "Europe/Rome", DotComma),
    c("JM", "Jamaica", "America/Jamaica", CommaDot),
    c("JP", "Japan", "Asia/Tokyo", CommaDot),
    c("JE", "Jersey", "Europe/Jersey", CommaDot),
    c("JO", "Jordan", "Asia/Amman", CommaDot),
    c("KZ", "Kazakhstan", "Asia/Almaty", SpaceComma),
    c("KE", "Kenya", "Africa/Nairobi", CommaDot),
    c("KI", "Kiribati", "Pacific/Tarawa", CommaDot),
    c("KW", "Kuwait", "Asia/Kuwait", CommaDot),
    c("KG", "Kyrgyzstan", "Asia/Bishkek", SpaceComma),
    c("LA", "Laos", "Asia/Vientiane", DotComma),
    c("LV", "Latvia", "Europe/Riga", SpaceComma),
    c("LB", "Lebanon", "Asia/Beirut", DotComma),
    c("LS", "Lesotho", "Africa/Maseru", CommaDot),
    c("LR", "Liberia", "Africa/Monrovia", CommaDot),
    c("LY", "Libya", "Africa/Tripoli", DotComma),
    c("LI", "Liechtenstein", "Europe/Vaduz", ApostropheDot),
    c("LT", "Lithuania", "Europe/Vilnius", SpaceComma),
    c("LU", "Luxembourg", "Europe/Luxembourg", DotComma),
    c("MO", "Macau", "Asia/Macau", CommaDot),
    c("MG", "Madagascar", "Indian/Antananarivo", SpaceComma),
    c("MW", "Malawi", "Africa/Blantyre", CommaDot),
    c("MY", "Malaysia", "Asia/Kuala_Lumpur", CommaDot),
    c("MV", "Maldives", "Indian/Maldives", CommaDot),
    c("ML", "Mali", "Africa/Bamako", SpaceComma),
    c("MT", "Malta", "Europe/Malta", CommaDot),
    c("MH", "Marshall Islands", "Pacific/Majuro", CommaDot),
    c("MQ", "Martinique", "America/Martinique", SpaceComma),
    c("MR", "Mauritania", "Africa/Nouakchott", DotComma),
    c("MU", "Mauritius", "Indian/Mauritius", CommaDot),
    c("YT", "Mayotte", "Indian/Mayotte", SpaceComma),
    c("MX", "Mexico", "America/Mexico_City", CommaDot),
    c("FM", "Micronesia", "Pacific/Pohnpei", CommaDot),
    c("MD", "Moldova", "Europe/Chisinau", DotComma),
    c("MC", "Monaco", "Europe/Monaco", SpaceComma),
    c("MN", "Mongolia", "Asia/Ulaanbaatar", CommaDot),
    c("ME", "Montenegro", "Europe/Podgorica", DotComma),
    c("MS", "Montserrat", "America/Montserrat", CommaDot),
    c("MA", "Morocco", "Africa/Casablanca", DotComma),
    c("MZ", "Mozambique", "Africa/Maputo", SpaceComma),
    c("MM", "Myanmar (Burma)", "Asia/Yangon", CommaDot),
    c("NA", "Namibia", "Africa/Windhoek", CommaDot),
    c("NR", "Nauru", "Pacific/Nauru", CommaDot),
    c("NP", "Nepal", "Asia/Kathmandu", CommaDot),
    c("NL", "Netherlands", "Europe/Amsterdam", DotComma),
    c("NC", "New Caledonia", "Pacific/Noumea", SpaceComma),
    c("NZ", "New Zealand", "Pacific/Auckland", CommaDot),
    c("NI", "Nicaragua", "America/Managua", CommaDot),
    c("NE", "Niger", "Africa/Niamey", SpaceComma),
    c("NG", "Nigeria", "Africa/Lagos", CommaDot),
    c("NU", "Niue", "Pacific/Niue", CommaDot),
    c("NF", "Norfolk Island", "Pacific/Norfolk", CommaDot),
    c("KP", "North Korea", "Asia/Pyongyang", CommaDot),
    c("MK", "North Macedonia", "Europe/Skopje", DotComma),
    c("MP", "Northern Mariana Islands", "Pacific/Saipan", CommaDot),
    c("NO", "Norway", "Europe/Oslo", SpaceComma),
    c("OM", "Oman", "Asia/Muscat", CommaDot),
    c("PK", "Pakistan", "Asia/Karachi", CommaDot),
    c("PW", "Palau", "Pacific/Palau", CommaDot),
    c("PS", "Palestine", "Asia/Hebron", CommaDot),
    c("PA", "Panama", "America/Panama", CommaDot),
    c("PG", "Papua New Guinea", "Pacific/Port_Moresby", CommaDot),
    c("PY", "Paraguay", "America/Asuncion", DotComma),
    c("PE", "Peru", "America/Lima", CommaDot),
    c("PH", "Philippines", "Asia/Manila", CommaDot),
    c("PN", "Pitcairn", "Pacific/Pitcairn", CommaDot),
    c("PL", "Poland", "Europe/Warsaw", SpaceComma),
    c("PT", "Portugal", "Europe/Lisbon", SpaceComma),
    c("PR", "Puerto Rico", "America/Puerto_Rico", CommaDot),
    c("QA", "Qatar", "Asia/Qatar", CommaDot),
    c("RE", "Réunion", "Indian/Reunion", SpaceComma),
    c("RO", "Romania", "Europe/Bucharest", DotComma),
    c("RU", "Russia", "Europe/Moscow", SpaceComma),
    c("RW", "Rwanda", "Africa/Kigali", DotComma),
    c("WS", "Samoa", "Pacific/Apia", CommaDot),
    c("SM", "San Marino", "Europe/San_Marino", DotComma),
    c("ST", "Sao Tome & Principe", "Africa/Sao_Tome", SpaceComma),
    c("SA", "Saudi Arabia", "Asia/Riyadh", CommaDot),
    c("SN", "Senegal", "Africa/Dakar", SpaceComma),
    c("RS", "Serbia", "Europe/Belgrade", DotComma),
    c("SC", "Seychelles", "Indian/Mahe", CommaDot),
    c("SL", "Sierra Leone", "Africa/Freetown", CommaDot),
    c("SG", "Singapore", "Asia/Singapore", CommaDot),
    c("SK", "Slovakia", "Europe/Bratislava", SpaceComma),
    c("SI", "Slovenia", "Europe/Ljubljana", DotComma),
    c("SB", "Solomon Islands", "Pacific/Guadalcanal", CommaDot),
    c("SO", "Somalia", "Africa/Mogadishu", CommaDot),
    c("ZA", "South Africa", "Africa/Johannesburg", SpaceComma),
    c("GS", "South Georgia & the South Sandwich Islands", "Atlantic/South_Georgia", CommaDot),
    c("KR", "South Korea", "Asia/Seoul", CommaDot),
    c("SS", "South Sudan", "Africa/Juba", CommaDot),
    c("ES", "Spain", "Europe/Madrid", DotComma),
    c("LK", "Sri Lanka", "Asia/Colombo", CommaDot),
    c("BL", "St Barthelemy", "America/St_Barthelemy", SpaceComma),
    c("SH", "St Helena", "Atlantic/St_Helena", CommaDot),
    c("KN", "St Kitts & Nevis", "America/St_Kitts", CommaDot),
    c("LC", "St Lucia", "America/St_Lucia", CommaDot),
    c("SX", "St Maarten (Dutch)", "America/Lower_Princes", DotComma),
    c("MF", "St Martin (French)", "America/Marigot", SpaceComma),
    c("PM", "St Pierre & Miquelon", "America/Miquelon", SpaceComma),
    c("VC", "St Vincent & the Grenadines", "America/St_Vincent", CommaDot),
    c("SD", "Sudan", "Africa/Khartoum", CommaDot),
    c("SR", "Suriname", "America/Paramaribo", DotComma),
    c("SJ", "Svalbard & Jan Mayen", "Arctic/Longyearbyen", SpaceComma),
    c("SE", "Sweden", "Europe/Stockholm", SpaceComma),
    c("CH", "Switzerland", "Europe/Zurich", ApostropheDot),
    c("SY", "Syria", "Asia/Damascus", CommaDot),
    c("TW", "Taiwan", "Asia/Taipei", CommaDot),
    c("TJ", "Tajikistan", "Asia/Dushanbe", SpaceComma),
    c("TZ", "Tanzania", "Africa/Dar_es_Salaam", CommaDot),
    c("TH", "Thailand", "Asia/Bangkok", CommaDot),
    c("TG", "Togo", "Africa/Lome", SpaceComma),
    c("TK", "Tokelau", "Pacific/Fakaofo", CommaDot),
    c("TO", "Tonga", "Pacific/Tongatapu", CommaDot),
    c("TT", "Trinidad & Tobago", "America/Port_of_Spain", CommaDot),
    c("TN", "Tunisia", "Africa/Tunis", DotComma),
    c("TR", "Turkey", "Europe/Istanbul", DotComma),
    c("TM", "Turkmenistan", "Asia/Ashgabat", SpaceComma),
    c("TC", "Turks & Caicos Islands", "America/Grand_Turk", CommaDot),
    c("TV", "Tuvalu", "Pacific/Funafuti", CommaDot),
    c("UG", "Uganda", "Africa/Kampala", CommaDot),
    c("UA", "Ukraine", "Europe/Kyiv", SpaceComma),
    c("AE", "United Arab Emirates", "Asia/Dubai", CommaDot),
    c("GB", "United Kingdom", "Europe/London", CommaDot),
    c("US", "United States", "America/New_York", CommaDot),
    c("UY", "Uruguay", "America/Montevideo", DotComma),
    c("UM", "US Minor Outlying Islands", "Pacific/Midway", CommaDot),
    c("UZ", "Uzbekistan", "Asia/Tashkent", SpaceComma),
    c("VU", "Vanuatu", "Pacific/Efate", CommaDot),
    c("VA", "Vatican City", "Europe/Vatican", DotComma),
    c("VE", "Venezuela", "America/Caracas", DotComma),
    c("VN", "Vietnam", "Asia/Ho_Chi_Minh", DotComma),
    c("VG", "Virgin Islands (UK)", "America/Tortola", CommaDot),
    c("VI", "Virgin Islands (US)", "America/St_Thomas", CommaDot),
    c("WF", "Wallis & Futuna", "Pacific/Wallis", SpaceComma),
    c("EH", "Western Sahara", "Africa/El_Aaiun", CommaDot),
    c("YE", "Yemen", "Asia/Aden", CommaDot),
    c("ZM", "Zambia", "Africa/Lusaka", CommaDot),
    c("ZW", "Zimbabwe", "Africa/Harare", CommaDot),
];

/// The country with this code, ignoring case and surrounding spaces.
pub fn find(code: &str) -> Option<&'static Country> {
    let code = code.trim();
    COUNTRIES.iter().find(|c| c.code.eq_ignore_ascii_case(code))
}

/// Countries matching what the user typed, ignoring case and accents: those whose code equals
/// the text or whose name contains it. Names starting with the text come first, then the rest,
/// each group in table (name) order. Empty text matches every country.
pub fn search(text: &str) -> impl Iterator<Item = &'static Country> {
    let text = text.trim();
    let code = text.to_ascii_uppercase();
    let needle = fold(text);
    let first = needle.clone();
    let prefix = COUNTRIES.iter().filter(move |c| fold(c.name).starts_with(&first));
    let rest = COUNTRIES.iter().filter(move |c| {
        let name = fold(c.name);
        !name.starts_with(&needle) && (c.code == code || name.contains(&needle))
    });
    prefix.chain(rest)
}

/// What is said of a country that is not in the list, naming what was given.
pub fn not_a_country(given: &str) -> String {
    let shown: String = given.trim().chars().take(40).collect();
    format!("No country in the list is \u{201c}{shown}\u{201d}: choose one from the list.")
}

/// Checks a country code chosen in a form (or, when none was found, what the user typed).
pub fn validate(code: &str) -> Result<(), String> {
    if code.trim().is_empty() {
        return Err("Country is required.".to_owned());
    }
    match find(code) {
        Some(_) => Ok(()),
        None => Err(not_a_country(code)),
    }
}

/// Lower case without accents, so "cote" finds "Côte d'Ivoire".
fn fold(text: &str) -> String {
    text.chars().flat_map(char::to_lowercase).map(strip_accent).collect()
}

fn strip_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ý' | 'ÿ' => 'y',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn names(text: &str) -> Vec<&'static str> {
        search(text).map(|c| c.name).collect()
    }

    #[test]
    fn table_is_complete_and_well_formed() {
        assert!(COUNTRIES.len() >= 240, "only {} countries", COUNTRIES.len());
        let mut codes = HashSet::new();
        for c in COUNTRIES {
            assert!(
                c.code.len() == 2 && c.code.bytes().all(|b| b.is_ascii_uppercase()),
                "bad code {:?}",
                c.code
            );
            assert!(codes.insert(c.code), "duplicate code {}", c.code);
            assert!(!c.name.trim().is_empty(), "{} has no name", c.code);
            let (area, city) = c.time_zone.split_once('/').unwrap_or(("", ""));
            assert!(
                !area.is_empty() && !city.is_empty() && !c.time_zone.contains(' '),
                "{} has time zone {:?}",
                c.code,
                c.time_zone
            );
        }
    }

    #[test]
    fn table_is_sorted_by_name() {
        for pair in COUNTRIES.windows(2) {
            assert!(
                fold(pair[0].name) < fold(pair[1].name),
                "{} should come after {}",
                pair[0].name,
                pair[1].name
            );
        }
    }

    #[test]
    fn principal_time_zones() {
        for (code, zone) in [
            ("US", "America/New_York"),
            ("GB", "Europe/London"),
            ("AU", "Australia/Sydney"),
            ("DE", "Europe/Berlin"),
            ("CA", "America/Toronto"),
            ("BR", "America/Sao_Paulo"),
            ("RU", "Europe/Moscow"),
            ("IN", "Asia/Kolkata"),
        ] {
            assert_eq!(find(code).unwrap().time_zone, zone, "{code}");
        }
    }

    #[test]
    fn number_formats() {
        assert_eq!(find("US").unwrap().number_format, CommaDot);
        assert_eq!(find("DE").unwrap().number_format, DotComma);
        assert_eq!(find("FR").unwrap().number_format, SpaceComma);
        assert_eq!(find("CH").unwrap().number_format, ApostropheDot);
        assert_eq!(CommaDot.example(), "1,234.56");
        assert_eq!(DotComma.example(), "1.234,56");
        assert_eq!(SpaceComma.example(), "1 234,56");
        assert_eq!(ApostropheDot.example(), "1'234.56");
    }

    #[test]
    fn find_ignores_case_and_spaces() {
        assert_eq!(find("gb").unwrap().name, "United Kingdom");
        assert_eq!(find(" US ").unwrap().name, "United States");
        assert!(find("").is_none());
        assert!(find("XX").is_none());
        assert!(find("USA").is_none());
    }

    #[test]
    fn search_puts_name_prefix_matches_first() {
        let found = names("united");
        assert_eq!(found, ["United Arab Emirates", "United Kingdom", "United States"]);
        let found = names("LAND");
        assert!(found.contains(&"Finland") && found.contains(&"Åland Islands"));
        let found = names("in");
        let first_other = found.iter().position(|n| !n.to_lowercase().starts_with("in")).unwrap();
        assert!(found[..first_other].contains(&"India"));
        assert!(found[first_other..].iter().all(|n| !n.to_lowercase().starts_with("in")));
        assert!(found[first_other..].contains(&"Argentina"));
    }

    #[test]
    fn search_matches_codes_and_ignores_accents() {
        let found = names("de");
        assert!(found.contains(&"Germany"));
        assert!(found.contains(&"Denmark"));
        assert_eq!(found[0], "Denmark");
        assert!(names(" us ").contains(&"United States"));
        assert_eq!(names("cote d"), ["Côte d'Ivoire"]);
        assert_eq!(names("Curacao"), ["Curaçao"]);
        assert!(names("zzz").is_empty());
        assert_eq!(search("").count(), COUNTRIES.len());
        assert_eq!(search("  ").count(), COUNTRIES.len());
    }

    #[test]
    fn validate_messages() {
        assert_eq!(validate("DE"), Ok(()));
        assert_eq!(validate(" de "), Ok(()));
        assert_eq!(validate(""), Err("Country is required.".to_owned()));
        assert_eq!(validate("  "), Err("Country is required.".to_owned()));
        assert_eq!(validate("XX"), Err("No country in the list is \u{201c}XX\u{201d}: choose one from the list.".to_owned()));
        assert_eq!(validate("Narnia"), Err("No country in the list is \u{201c}Narnia\u{201d}: choose one from the list.".to_owned()));
    }
}
