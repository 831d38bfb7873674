"""Helpers shared by the keras-action packages."""
