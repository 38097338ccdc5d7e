"""The pages of acting for others: choosing whom to act for, fullmakt, and «Hvem har sett opplysningene mine»."""
