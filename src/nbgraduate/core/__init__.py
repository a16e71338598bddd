"""Small pieces every layer shares: atomic writes, the error tree, positions, git plumbing."""
