"""Real production parts started by the tests (PostgreSQL servers and replicas, PgBouncer,
Prometheus, Patroni with etcd, haproxy): each on private ports, in a temporary folder, and
stopped at the end even when the test fails. Never the shared PostgreSQL."""
