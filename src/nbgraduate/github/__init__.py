"""GitHub's REST API: the client ``nbgraduate comment`` uses to upsert a pull-request comment."""
