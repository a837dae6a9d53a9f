"""Services the CLI is thin over; they take a Session and collaborators and never print."""
