"""Helpers shared by the subpackages: devices and torch threads."""
