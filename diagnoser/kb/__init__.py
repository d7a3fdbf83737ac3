"""Knowledge base: models, loader and lint checks, rule fixture cases."""
