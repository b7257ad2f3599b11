"""Settings split by environment: `local` (make run), `test` (make test), `production`."""
