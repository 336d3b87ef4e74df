//! Date functions (`minute`, `hour`, `day_of_week`, `month`, `year`, ...) over UTC.

use super::super::{EVal, Evaluator, StepSeries};
use crate::error::Result;
use crate::value::PointValue;
use chrono::{DateTime, Datelike, Timelike};
use obslab_model::Labels;
use promql_parser::parser::Expr;

fn date_part(name: &str, secs: f64) -> Option<f64> {
    if !secs.is_finite() {
        return None;
    }
    let dt = DateTime::from_timestamp(secs.floor() as i64, 0)?;
    Some(match name {
        "minute" => dt.minute() as f64,
        "hour" => dt.hour() as f64,
        "day_of_month" => dt.day() as f64,
        "day_of_week" => dt.weekday().num_days_from_sunday() as f64,
        "day_of_year" => dt.ordinal() as f64,
        "days_in_month" => {
            let (y, m) = (dt.year(), dt.month());
            let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            let first = chrono::NaiveDate::from_ymd_opt(y, m, 1)?;
            let next = chrono::NaiveDate::from_ymd_opt(ny, nm, 1)?;
            (next - first).num_days() as f64
        }
        "month" => dt.month() as f64,
        _ => dt.year() as f64,
    })
}

impl Evaluator<'_> {
    pub(crate) fn fn_date(&mut self, name: &str, args: &[&Expr], ts: &[i64]) -> Result<EVal> {
        let mut v = match args.first() {
            Some(e) => self.eval_vector(e, ts)?,
            None => {
                let mut s = StepSeries::new(Labels::empty(), ts.len());
                s.vals = ts
                    .iter()
                    .map(|t| Some(PointValue::Float(*t as f64 / 1000.0)))
                    .collect();
                vec![s]
            }
        };
        for s in v.iter_mut() {
            s.drop_name = true;
            for x in s.vals.iter_mut() {
                *x = match x.take() {
                    Some(PointValue::Float(f)) => date_part(name, f).map(PointValue::Float),
                    _ => None,
                };
            }
        }
        v.retain(|s| s.vals.iter().any(Option::is_some));
        Ok(EVal::Vector(v))
    }
}
