"""events component."""
