use std::fmt;

/// A task's estimated duration, such as `1h`, `30m`, `1.5h`, `2d` or `1h30m`.
///
/// Units: `s`, `m`/`min`, `h`/`hr`, `d` (24 hours) and `w` (7 days), with their long forms
/// (`minutes`, `hours`, …). The text as written is kept for display.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Estimate {
    text: String,
    seconds: u64,
}

/// An estimate that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read estimate {0:?}; write a duration such as 1h, 30m, 1.5h, 2d or 1h30m")]
pub struct EstimateError(pub String);

impl Estimate {
    /// Reads an estimate. Returns `Ok(None)` for an empty cell or `-`.
    pub fn parse(text: &str) -> Result<Option<Estimate>, EstimateError> {
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed == "-" {
            return Ok(None);
        }
        let error = || EstimateError(text.to_owned());
        let body = trimmed.strip_prefix('~').unwrap_or(trimmed).trim_start();
        let mut total = 0f64;
        let mut rest = body;
        let mut parts = 0;
        while !rest.is_empty() {
            let number_len = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(rest.len());
            let number: f64 = rest[..number_len].parse().map_err(|_| error())?;
            rest = rest[number_len..].trim_start();
            let unit_len = rest
                .find(|c: char| !c.is_ascii_alphabetic())
                .unwrap_or(rest.len());
            let unit = rest[..unit_len].to_ascii_lowercase();
            rest = rest[unit_len..].trim_start();
            let scale = match unit.as_str() {
                "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
                "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
                "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
                "d" | "day" | "days" => 86_400.0,
                "w" | "wk" | "week" | "weeks" => 604_800.0,
                _ => return Err(error()),
            };
            total += number * scale;
            parts += 1;
        }
        if parts == 0 || !total.is_finite() || total > 1e12 {
            return Err(error());
        }
        Ok(Some(Estimate {
            text: trimmed.to_owned(),
            seconds: total.round() as u64,
        }))
    }

    /// The estimate as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The estimate in seconds.
    pub fn seconds(&self) -> u64 {
        self.seconds
    }

    /// Formats a number of seconds compactly: `7.5h`, `45m`, `2d 3h`.
    pub fn format_seconds(seconds: u64) -> String {
        const DAY: u64 = 86_400;
        if seconds == 0 {
            return "0m".to_owned();
        }
        if seconds >= DAY {
            let days = seconds / DAY;
            let hours = (seconds % DAY) as f64 / 3600.0;
            return if hours == 0.0 {
                format!("{days}d")
            } else {
                format!("{days}d {}h", trim_float(hours))
            };
        }
        if seconds >= 3600 {
            return format!("{}h", trim_float(seconds as f64 / 3600.0));
        }
        if seconds >= 60 {
            return format!("{}m", trim_float(seconds as f64 / 60.0));
        }
        format!("{seconds}s")
    }
}

fn trim_float(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

impl fmt::Display for Estimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(text: &str) -> u64 {
        Estimate::parse(text)
            .expect("valid")
            .expect("present")
            .seconds()
    }

    #[test]
    fn reads_the_usual_forms() {
        assert_eq!(secs("1h"), 3600);
        assert_eq!(secs("30m"), 1800);
        assert_eq!(secs("1.5h"), 5400);
        assert_eq!(secs("2d"), 2 * 86_400);
        assert_eq!(secs("1h30m"), 5400);
        assert_eq!(secs("1h 30m"), 5400);
        assert_eq!(secs("2 hours"), 7200);
        assert_eq!(secs("~45min"), 2700);
        assert_eq!(secs("1w"), 604_800);
        assert_eq!(Estimate::parse("-"), Ok(None));
        assert_eq!(Estimate::parse("  "), Ok(None));
    }

    #[test]
    fn refuses_the_unreadable() {
        for bad in ["h", "1", "1x", "one hour", "1.2.3h", "1e400h", "1h-", "--"] {
            assert!(Estimate::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn formats_compactly() {
        assert_eq!(Estimate::format_seconds(27_000), "7.5h");
        assert_eq!(Estimate::format_seconds(2700), "45m");
        assert_eq!(Estimate::format_seconds(86_400 + 3 * 3600), "1d 3h");
        assert_eq!(Estimate::format_seconds(0), "0m");
    }
}

/// Reads a command-line duration: `500ms`, `10s`, `1.5m`, `2h`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim();
    let error = || format!("cannot read duration {text:?}; write it like 500ms, 10s, 1.5m or 2h");
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 = number.parse().map_err(|_| error())?;
    let scale = match unit.trim() {
        "ms" => 0.001,
        "" | "s" | "sec" | "secs" => 1.0,
        "m" | "min" | "mins" => 60.0,
        "h" => 3600.0,
        _ => return Err(error()),
    };
    let seconds = number * scale;
    if !seconds.is_finite() || !(0.0..=1e9).contains(&seconds) {
        return Err(error());
    }
    Ok(std::time::Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod duration_tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn reads_command_line_durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("1"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_duration("1.5m"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        for bad in ["", "s", "-1s", "1x", "1e99h"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }
}
