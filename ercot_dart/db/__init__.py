"""The source database: table definitions, engines and idempotent writes."""
