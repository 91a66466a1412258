"""The DfE children in need census items this tool holds (section 47 enquiries and initial child protection
conferences), with the census's own item names and validation rules, for a council's performance team."""
