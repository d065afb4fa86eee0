"""Thai search over the service catalogue (process 1): analysis → index → query. See docs in each module."""
