"""Pure deadline and validation rules, one module per process; the rule ID in a comment."""
