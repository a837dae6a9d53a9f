"""Email: message building (pure) and delivery backends (file, smtp, console)."""
