// The sandbox provider sends the dealer back to the portal at once, as a real provider's page does.
document.getElementById("return-form").submit();
