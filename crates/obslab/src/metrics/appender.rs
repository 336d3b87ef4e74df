//! Scrapes write into the TSDB through this adapter: samples are buffered per scrape and
//! appended in one TSDB transaction on commit.

use obslab_model::Labels;
use obslab_scrape::target::{AppendError, Appender};
use obslab_tsdb::Db;

/// One scrape's batch, committed to the TSDB as a whole.
pub struct TsdbAppender {
    db: Db,
    pending: Vec<(Labels, i64, f64)>,
}

impl TsdbAppender {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            pending: Vec::new(),
        }
    }
}

impl Appender for TsdbAppender {
    fn append(&mut self, labels: &Labels, t: i64, v: f64) -> Result<(), AppendError> {
        self.pending.push((labels.clone(), t, v));
        Ok(())
    }

    fn commit(&mut self) -> Result<(), AppendError> {
        let mut app = self.db.appender();
        for (labels, t, v) in self.pending.drain(..) {
            match app.append(&labels, t, v) {
                Ok(_) => {}
                // Prometheus drops such samples and keeps the rest of the scrape.
                Err(
                    obslab_tsdb::Error::OutOfOrderSample
                    | obslab_tsdb::Error::DuplicateSample
                    | obslab_tsdb::Error::OutOfBounds,
                ) => {}
                Err(e) => return Err(AppendError::Storage(e.to_string())),
            }
        }
        app.commit().map_err(|e| AppendError::Storage(e.to_string()))
    }

    fn rollback(&mut self) {
        self.pending.clear();
    }
}
