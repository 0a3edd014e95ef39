"""Training utilities torch provides for recurrent models: gradient clipping."""
