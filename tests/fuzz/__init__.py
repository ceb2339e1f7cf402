"""Property-based fuzzing of every gRPC method and every webhook route against the real services (issue #8)."""
