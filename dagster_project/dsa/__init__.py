"""EU DSA transparency: statements of reasons in the Transparency Database's shape (docs/dsa.md)."""
