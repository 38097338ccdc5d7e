// After logging out of the e-portal, end the BankID session at once: post the page's form to the provider.
document.getElementById("provider-logout").submit();
