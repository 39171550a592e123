"""From a replication's records to numbers: the metrics, their windows and episodes, and statistics."""
