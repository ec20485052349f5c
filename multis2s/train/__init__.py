"""Training: the loop, its learning-rate schedules and its teacher-forcing schedule."""
