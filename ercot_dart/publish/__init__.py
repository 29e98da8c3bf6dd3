"""Publishing predictions: blob files, the SQL table, notifications. Each module does one."""
