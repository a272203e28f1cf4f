"""Tests of the partner portal service, through the embedded composition."""
