"""State in the sources' programs: when the recurrent state is reset."""
