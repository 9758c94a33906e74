//! Times as people write them: `YYYY-MM-DD` and `YYYY-MM-DDTHH:MM:SSZ`, always UTC.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::score::parse_date;
use crate::Timestamp;

/// Reads `"YYYY-MM-DD"` (midnight UTC) or `"YYYY-MM-DDTHH:MM:SSZ"` as seconds since the epoch.
pub fn parse_utc(text: &str) -> Option<Timestamp> {
    let (date, time) = match text.split_once('T') {
        Some((date, time)) => (date, Some(time.strip_suffix('Z')?)),
        None => (text, None),
    };
    if date.len() != 10 {
        return None;
    }
    let day = parse_date(date)?;
    let seconds = match time {
        None => 0,
        Some(t) => {
            let parts: Vec<&str> = t.split(':').collect();
            let [h, m, s] = parts.as_slice() else {
                return None;
            };
            let field = |p: &str, max: i64| {
                (p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| p.parse::<i64>().ok())
                    .flatten()
                    .filter(|v| *v <= max)
            };
            field(h, 23)? * 3600 + field(m, 59)? * 60 + field(s, 59)?
        }
    };
    Some(day * 86_400 + seconds)
}

/// A duration for people: `7d`, `36h`, `90m`, `45s` (the largest unit that divides it).
pub fn format_duration(seconds: Timestamp) -> String {
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60)] {
        if seconds != 0 && seconds % size == 0 {
            return format!("{}{unit}", seconds / size);
        }
    }
    format!("{seconds}s")
}

/// Writes `YYYY-MM-DDTHH:MM:SSZ` (Howard Hinnant's civil_from_days).
pub fn format_utc(at: Timestamp) -> String {
    let (days, secs) = (at.div_euclid(86_400), at.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_and_write_as_utc() {
        assert_eq!(parse_utc("1970-01-01"), Some(0));
        assert_eq!(parse_utc("2024-11-24T00:00:00Z"), Some(1_732_406_400));
        assert_eq!(
            parse_utc("2024-11-24T01:02:03Z"),
            Some(1_732_406_400 + 3723)
        );
        assert_eq!(parse_utc("2024-11-24T24:00:00Z"), None);
        assert_eq!(parse_utc("2024-11-24T01:02:03"), None);
        assert_eq!(parse_utc("20241124"), None);
        for at in [0, 951_782_400, 1_732_406_400 + 3723, 253_402_300_799] {
            assert_eq!(parse_utc(&format_utc(at)), Some(at), "{}", format_utc(at));
        }
        assert_eq!(format_utc(951_782_400), "2000-02-29T00:00:00Z");
    }
}
