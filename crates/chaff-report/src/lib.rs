//! The chaff report stage. (Skeleton.)
