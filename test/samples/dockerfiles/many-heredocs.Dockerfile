FROM alpine
RUN <<H0 <<H1 <<H2 <<H3 <<H4 <<H5 <<H6 <<H7 <<H8 <<H9 <<H10 <<H11 <<H12 <<H13 <<H14 <<H15 <<H16 <<H17 <<H18 <<H19
body 0
H0
body 1
H1
body 2
H2
body 3
H3
body 4
H4
body 5
H5
body 6
H6
body 7
H7
body 8
H8
body 9
H9
body 10
H10
body 11
H11
body 12
H12
body 13
H13
body 14
H14
body 15
H15
body 16
H16
body 17
H17
body 18
H18
body 19
H19
