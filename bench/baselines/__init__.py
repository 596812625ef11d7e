"""Baselines measured in the same run as the studio: the floor and the peer."""
