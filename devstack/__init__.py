"""The local stack: real PostgreSQL, Kafka-protocol, S3 and SMTP servers run as plain processes.

`python -m devstack up|down|status|env|run` is the only thing in the project that starts servers.
"""
