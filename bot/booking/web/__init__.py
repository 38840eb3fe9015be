"""The desk's workshop pages."""
