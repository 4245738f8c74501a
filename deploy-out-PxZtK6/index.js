var a=1;;debugger;export default {fetch(){return new Response(a)}}
