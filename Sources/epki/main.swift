print("epki")
