"""Shapes of data that crosses a process boundary, as ``TypedDict``s that import nothing of
the project and nothing installed but ``typing_extensions`` (Python 3.10 syntax): both sides of
the boundary import them, whatever their environment."""
