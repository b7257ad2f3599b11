"""Database routing: where each model lives (placement), order shards (sharding), catalog reads
on the replica (replica)."""
