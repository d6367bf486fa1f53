//! One environment as the layers above hold it: what reads it and, unless
//! it is read-only, what writes to it. This is the one place read-only is
//! enforced: a read-only environment is given no writer at all.

use super::{ProviderError, ReadProvider, Result, WriteAnswer, WriteCall, WriteProvider, Written};
use async_trait::async_trait;
use std::ops::Deref;
use std::sync::Arc;

/// Reads an environment through [`ReadProvider`] (by `Deref`) and writes
/// through [`WriteProvider::write`], which refuses every call when the
/// environment is read-only, whatever the UI or a script does above it.
#[derive(Clone)]
pub struct Provider {
    reads: Arc<dyn ReadProvider>,
    /// `None` for a read-only environment.
    writes: Option<Arc<dyn WriteProvider>>,
}

impl Provider {
    /// Reads and writes through `p`; writes only when `p`'s environment is
    /// not read-only (`EnvironmentInfo::read_only`).
    pub fn new<P: ReadProvider + WriteProvider + 'static>(p: P) -> Self {
        Self::shared(Arc::new(p))
    }

    /// [`Provider::new`] for a provider the caller keeps a handle on.
    pub fn shared<P: ReadProvider + WriteProvider + 'static>(p: Arc<P>) -> Self {
        let writes = (!p.environment().read_only).then(|| p.clone() as Arc<dyn WriteProvider>);
        Provider { reads: p, writes }
    }

    /// The reads alone, for a function that takes any reader (`Deref`
    /// gives the same to method calls).
    pub fn reads(&self) -> &dyn ReadProvider {
        &*self.reads
    }

    /// Whether writes are refused.
    pub fn is_read_only(&self) -> bool {
        self.writes.is_none()
    }
}

impl Deref for Provider {
    type Target = dyn ReadProvider;
    fn deref(&self) -> &Self::Target {
        &*self.reads
    }
}

#[async_trait]
impl WriteProvider for Provider {
    async fn write(&self, call: &WriteCall) -> Result<Written<WriteAnswer>> {
        let Some(writes) = &self.writes else {
            let environment = self.environment().name.clone();
            let operation = call.operation();
            tracing::warn!(env = %environment, operation, "write refused: read-only");
            return Err(ProviderError::ReadOnly {
                environment,
                operation: operation.to_string(),
            });
        };
        writes.write(call).await
    }
}
