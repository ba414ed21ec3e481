"""What chitieu writes for people: the ward's xlsx template and the term report."""
