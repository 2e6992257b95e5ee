"""The scoring core: features, the fitted model, explanations, surface reliance. No web code."""
