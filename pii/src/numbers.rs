//! What a run of digits is: the checks of each kind of number, and masking.

/// A kind of personal number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A resident ID number (居民身份证号码, GB 11643).
    ResidentId,
    /// A mainland mobile telephone number.
    Mobile,
    /// A bank card number.
    BankCard,
}

impl Kind {
    /// The kind in plain Chinese, for diagnostics.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::ResidentId => "居民身份证号码",
            Kind::Mobile => "手机号码",
            Kind::BankCard => "银行卡号",
        }
    }
}

/// The province-level codes (GB/T 2260) an ID number may start with.
const PROVINCES: &[&[u8; 2]] = &[
    b"11", b"12", b"13", b"14", b"15", b"21", b"22", b"23", b"31", b"32", b"33", b"34", b"35",
    b"36", b"37", b"41", b"42", b"43", b"44", b"45", b"46", b"50", b"51", b"52", b"53", b"54",
    b"61", b"62", b"63", b"64", b"65", b"71", b"81", b"82",
];

/// GB 11643 weights of the first 17 digits.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each remainder mod 11.
const CHECK: &[u8; 11] = b"10X98765432";

/// What a whole run of digits is (`run` holds ASCII digits, the last of an 18-character run
/// may be `X`), if it is personal data. `is_division` says whether six digits are a real
/// division code.
pub fn classify(run: &[u8], is_division: &dyn Fn(&str) -> bool) -> Option<Kind> {
    match run.len() {
        18 if is_resident_id(run, is_division) => Some(Kind::ResidentId),
        11 if is_mobile(run) => Some(Kind::Mobile),
        // With the country code, written without a separator.
        13 if run.starts_with(b"86") && is_mobile(&run[2..]) => Some(Kind::Mobile),
        15..=19 if is_bank_card(run) => Some(Kind::BankCard),
        _ => None,
    }
}

fn is_mobile(run: &[u8]) -> bool {
    run.len() == 11 && run[0] == b'1' && (b'3'..=b'9').contains(&run[1])
}

fn is_resident_id(run: &[u8], is_division: &dyn Fn(&str) -> bool) -> bool {
    let Some((&check, body)) = run.split_last() else {
        return false;
    };
    if !body.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = body
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    if CHECK[(sum % 11) as usize] != check.to_ascii_uppercase() {
        return false;
    }
    if !PROVINCES.iter().any(|p| body.starts_with(*p)) {
        return false;
    }
    let number = |digits: &[u8]| {
        digits
            .iter()
            .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'))
    };
    let (year, month, day) = (
        number(&body[6..10]),
        number(&body[10..12]),
        number(&body[12..14]),
    );
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        _ => 0,
    };
    (1900..=2099).contains(&year)
        && (1..=days_in_month).contains(&day)
        && std::str::from_utf8(&body[..6]).is_ok_and(is_division)
}

/// Card numbers of the schemes issued in China (UnionPay 62, Visa 4, Mastercard 51–55 and
/// 2221–2720, American Express 34/37, JCB 35) that pass the Luhn check. The prefixes keep an
/// order number that happens to pass Luhn (one in ten do) from being taken for a card.
fn is_bank_card(run: &[u8]) -> bool {
    if !run.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let prefix = |n: usize| {
        run[..n]
            .iter()
            .fold(0u32, |v, d| v * 10 + u32::from(d - b'0'))
    };
    let scheme = match run.len() {
        15 => matches!(prefix(2), 34 | 37),
        16 => {
            matches!(prefix(2), 62 | 35 | 51..=55)
                || run[0] == b'4'
                || (2221..=2720).contains(&prefix(4))
        }
        _ => prefix(2) == 62,
    };
    scheme && luhn(run)
}

fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(d - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The value masked as a message may show it: `4501**********123X`, `138****5678`,
/// `6222***********1234`.
pub fn mask(kind: Kind, run: &[u8]) -> String {
    let text = String::from_utf8_lossy(run);
    let chars: Vec<char> = text.chars().collect();
    let tail = 4.min(chars.len());
    let head = match kind {
        Kind::Mobile => chars.len().saturating_sub(8),
        Kind::ResidentId | Kind::BankCard => 4,
    }
    .min(chars.len() - tail);
    let mut masked: String = chars[..head].iter().collect();
    masked.push_str(&"*".repeat(chars.len() - head - tail));
    masked.extend(&chars[chars.len() - tail..]);
    masked
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn any_division(code: &str) -> bool {
        code.starts_with("45")
    }

    /// An ID number on `body` (17 digits) with its correct check character.
    pub(crate) fn with_check(body: &str) -> String {
        let sum: u32 = body
            .bytes()
            .zip(WEIGHTS)
            .map(|(d, w)| u32::from(d - b'0') * w)
            .sum();
        format!("{body}{}", CHECK[(sum % 11) as usize] as char)
    }

    #[test]
    fn resident_ids_need_checksum_division_and_birth_date() {
        let id = with_check("45010219900307123");
        assert_eq!(
            classify(id.as_bytes(), &any_division),
            Some(Kind::ResidentId)
        );
        // One digit off: the checksum fails.
        let mut wrong = id.clone().into_bytes();
        wrong[16] = if wrong[16] == b'9' {
            b'0'
        } else {
            wrong[16] + 1
        };
        assert_eq!(classify(&wrong, &any_division), None);
        // A division that does not exist.
        assert_eq!(classify(id.as_bytes(), &|_: &str| false), None);
        // A birth date that does not exist (February 30th).
        let bad_date = with_check("45010219900230123");
        assert_eq!(classify(bad_date.as_bytes(), &any_division), None);
        // X as check character, either case.
        let x = (0..1000)
            .map(|n| with_check(&format!("45010219850615{n:03}")))
            .find(|id| id.ends_with('X'))
            .unwrap();
        assert_eq!(
            classify(x.as_bytes(), &any_division),
            Some(Kind::ResidentId)
        );
        let lower = x.to_lowercase();
        assert_eq!(
            classify(lower.as_bytes(), &any_division),
            Some(Kind::ResidentId)
        );
    }

    #[test]
    fn mobiles_cards_and_lookalikes() {
        let none = |_: &str| false;
        assert_eq!(classify(b"13812345678", &none), Some(Kind::Mobile));
        assert_eq!(classify(b"8613812345678", &none), Some(Kind::Mobile));
        assert_eq!(classify(b"12812345678", &none), None, "no 12x prefix");
        assert_eq!(classify(b"07715678901", &none), None, "a landline");
        // A UnionPay number passing Luhn, and the same with its last digit changed.
        assert_eq!(
            classify(b"6222020200112345679", &none),
            Some(Kind::BankCard)
        );
        assert_eq!(classify(b"6222020200112345678", &none), None);
        assert_eq!(classify(b"4111111111111111", &none), Some(Kind::BankCard));
        // An order number that passes Luhn but is no card scheme's.
        assert!(luhn(b"202412010000000011"));
        assert_eq!(classify(b"202412010000000011", &none), None);
    }

    #[test]
    fn masks_keep_only_the_ends() {
        assert_eq!(
            mask(Kind::ResidentId, b"45010219900307123X"),
            "4501**********123X"
        );
        assert_eq!(mask(Kind::Mobile, b"13812345678"), "138****5678");
        assert_eq!(mask(Kind::Mobile, b"8613812345678"), "86138****5678");
        assert_eq!(
            mask(Kind::BankCard, b"6222020200112345675"),
            "6222***********5675"
        );
    }
}
