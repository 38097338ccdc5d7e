"""Booking's use cases, one module each; each takes an Actor, never an HTTP request.

    schedule       slots made from the weekly schedule
    appointments   booking a time (by the rule in booking.selectors) and reminding of it
    waitlist       «Gi meg beskjed om en tidligere time»: joining and leaving, offers, taking and declining
    cancellation   cancelling (the patient, the clinic) and staff blocking or opening a time

Imports go one way: the waiting list builds on appointments (taking an offer books the earlier time);
cancellation builds on both (a freed time is offered to the waiting list); appointments and schedule know
nothing of the waiting list.
"""
