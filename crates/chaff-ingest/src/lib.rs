//! The chaff ingest stage: files, directories and streams in, records out. (Skeleton.)
