"""S3-compatible HTTP gateway onto the durable store: request authentication and the app."""
