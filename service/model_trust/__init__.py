"""Which model versions the service may load: each champion's artifact hash and gates, recorded."""
