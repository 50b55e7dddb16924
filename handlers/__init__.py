"""Channel-agnostic handlers: a `Request` in, a list of `Reply` out (DESIGN.md, "Shape of the code")."""
