"""Appointments: types, weekly schedules, slots, booking and cancellation, and the waiting list for an earlier time."""
