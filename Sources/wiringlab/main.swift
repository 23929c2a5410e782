print("wiringlab")
