//! The chaff dedup stage. (Skeleton.)
