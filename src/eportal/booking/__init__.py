"""Appointments: types, weekly schedules, slots, booking and cancellation."""
