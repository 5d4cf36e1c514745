"""HEAT, the Home Environment Assessment Tool."""
